from prometheus_client import Counter, Gauge

EVENTS = Counter(
    "notifier_events_total",
    "order.created and order.cancelled records by outcome (sent, duplicate_event, no_address, retried, dead_lettered)",
    ["outcome"],
)
CONSUMER_LAG = Gauge(
    "notifier_consumer_lag",
    "Messages behind the end of each topic, per partition",
    ["topic", "partition"],
    multiprocess_mode="mostrecent",  # with several workers, the latest report of a partition wins
)
