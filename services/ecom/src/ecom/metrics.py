from prometheus_client import Counter

CHECKOUTS = Counter(
    "ecom_checkouts_total",
    "Checkout attempts by outcome (created, replayed, insufficient_stock, inventory_unavailable, "
    "in_progress, compensated, recovered)",
    ["outcome"],
)
