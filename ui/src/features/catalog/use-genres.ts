import { useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";

export function useGenres() {
  return useQuery({
    queryKey: ["genres"],
    queryFn: () => apiGet<{ genre: string; count: number }[]>("/ecom/books/genres"),
    staleTime: 60_000,
  });
}
