import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Book, Page } from "../catalog/types";

export const SEARCH_PAGE_SIZE = 12;

export function useSearch(q: string, page: number) {
  const params = new URLSearchParams({ q, page: String(page), size: String(SEARCH_PAGE_SIZE) });
  return useQuery({
    queryKey: ["search", q, page],
    queryFn: () => apiGet<Page<Book>>(`/ecom/books/search?${params}`),
    enabled: q.trim().length > 0,
    placeholderData: keepPreviousData,
  });
}
