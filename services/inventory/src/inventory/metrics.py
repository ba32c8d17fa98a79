from prometheus_client import Counter, Gauge

RESERVATIONS = Counter(
    "inventory_reservations_total",
    "Reservation operations by outcome",
    ["outcome"],
)
EVENTS_CONSUMED = Counter(
    "inventory_order_created_events_total",
    "order.created records by outcome (committed, committed_after_expiry, already_committed, cancelled, "
    "duplicate_event, retried, dead_lettered)",
    ["outcome"],
)
CONSUMER_LAG = Gauge(
    "inventory_consumer_lag",
    "Messages behind the end of the order.created topic, per partition",
    ["topic", "partition"],
    # With several workers each reports the partitions it was assigned; the latest report of a partition wins.
    multiprocess_mode="mostrecent",
)
