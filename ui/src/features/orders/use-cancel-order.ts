import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiSend } from "../../lib/api-client";
import type { Order } from "./types";

export function useCancelOrder(orderId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => apiSend<Order>("POST", `/ecom/orders/${orderId}/cancel`),
    onSuccess: (order) => {
      queryClient.setQueryData(["order", orderId], order);
      void queryClient.invalidateQueries({ queryKey: ["orders"] });
      void queryClient.invalidateQueries({ queryKey: ["stock"] });
    },
  });
}
