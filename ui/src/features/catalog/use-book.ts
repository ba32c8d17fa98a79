import { useQuery } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
import type { Book } from "./types";

export function useBook(bookId: string) {
  return useQuery({ queryKey: ["book", bookId], queryFn: () => apiGet<Book>(`/ecom/books/${bookId}`) });
}
