from prometheus_client import Counter

from servicekit.middleware import request_latency_histogram

REQUEST_LATENCY = request_latency_histogram("ecom")
CHECKOUTS = Counter(
    "ecom_checkouts_total",
    "Checkout attempts by outcome (created, replayed, insufficient_stock, inventory_unavailable, "
    "in_progress, compensated, recovered)",
    ["outcome"],
)
