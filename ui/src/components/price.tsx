const format = new Intl.NumberFormat("en-IE", { style: "currency", currency: "EUR" });

/** Prices arrive as decimal strings ("12.99"); shown as currency. */
export function Price({ value }: { value: string }) {
  return <span className="price">{format.format(Number(value))}</span>;
}
