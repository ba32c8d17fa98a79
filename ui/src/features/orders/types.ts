export interface OrderItem {
  book_id: string;
  title: string;
  unit_price: string;
  quantity: number;
}

export interface Order {
  order_id: string;
  status: "CONFIRMED" | "CANCELLED";
  total: string;
  currency: string;
  items: OrderItem[];
  created_at: string;
  cancelled_at: string | null;
}
