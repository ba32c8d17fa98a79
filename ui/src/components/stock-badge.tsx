export function StockBadge({ available }: { available: number | undefined }) {
  if (available === undefined) return <span className="badge">Stock unknown</span>;
  if (available === 0) return <span className="badge badge-out">Out of stock</span>;
  if (available <= 5) return <span className="badge badge-low">Only {available} left</span>;
  return <span className="badge badge-in">In stock ({available})</span>;
}
