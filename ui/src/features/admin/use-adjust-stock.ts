import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiSend } from "../../lib/api-client";

export function useAdjustStock(bookId: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (vars: { delta: number; reason: string }) =>
      apiSend("POST", `/inven/admin/stock/${bookId}/adjust`, vars),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["stock"] }),
  });
}
