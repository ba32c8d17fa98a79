import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiSend } from "../../lib/api-client";
import type { Order } from "../orders/types";

/** Places the cart as an order; each attempt carries its own fresh Idempotency-Key. */
export function usePlaceOrder() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiSend<Order>("POST", "/ecom/checkout", undefined, { "Idempotency-Key": crypto.randomUUID() }),
    onSettled: () => queryClient.invalidateQueries(),
  });
}
