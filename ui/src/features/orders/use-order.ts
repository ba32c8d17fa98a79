import { useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Order } from "./types";

export function useOrder(orderId: string) {
  return useQuery({ queryKey: ["order", orderId], queryFn: () => apiGet<Order>(`/ecom/orders/${orderId}`) });
}
