import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Book, Page } from "./types";

export const PAGE_SIZE = 12;

export function useBooks(page: number, genre: string) {
  const params = new URLSearchParams({ page: String(page), size: String(PAGE_SIZE) });
  if (genre) params.set("genre", genre);
  return useQuery({
    queryKey: ["books", page, genre],
    queryFn: () => apiGet<Page<Book>>(`/ecom/books?${params}`),
    placeholderData: keepPreviousData,
  });
}
