import { useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Page } from "../catalog/types";
import type { Order } from "../orders/types";

export interface AdminOrder extends Order {
  user_id: string;
  username: string | null;
}

export function useAdminOrders(status: string, page: number) {
  const params = new URLSearchParams({ page: String(page), size: "20" });
  if (status) params.set("status", status);
  return useQuery({
    queryKey: ["admin-orders", status, page],
    queryFn: () => apiGet<Page<AdminOrder>>(`/ecom/admin/orders?${params}`),
  });
}
