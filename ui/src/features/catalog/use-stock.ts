import { useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Stock } from "./types";

/** Available copies per book id, from inventory's bulk endpoint (one request for a whole page). */
export function useStock(bookIds: string[]) {
  return useQuery({
    queryKey: ["stock", ...bookIds],
    queryFn: async () => {
      const levels = await apiGet<Stock[]>(`/inven/stock?ids=${bookIds.join(",")}`);
      return new Map(levels.map((s) => [s.book_id, s.available]));
    },
    enabled: bookIds.length > 0,
    staleTime: 0,
  });
}
