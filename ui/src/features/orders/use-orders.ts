import { useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Page } from "../catalog/types";
import type { Order } from "./types";

export function useOrders(page: number) {
  return useQuery({
    queryKey: ["orders", page],
    queryFn: () => apiGet<Page<Order>>(`/ecom/orders?page=${page}&size=20`),
  });
}
