from prometheus_client import Counter, Gauge, Histogram

REQUEST_LATENCY = Histogram(
    "inventory_http_request_duration_seconds",
    "HTTP request latency by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESERVATIONS = Counter(
    "inventory_reservations_total",
    "Reservation operations by outcome",
    ["outcome"],
)
EVENTS_CONSUMED = Counter(
    "inventory_order_created_events_total",
    "order.created records by outcome (committed, already_committed, duplicate_event, dead_lettered)",
    ["outcome"],
)
CONSUMER_LAG = Gauge(
    "inventory_consumer_lag",
    "Messages behind the end of the order.created topic, per partition",
    ["topic", "partition"],
)
