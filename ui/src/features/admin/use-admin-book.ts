import { useMutation, useQueryClient } from "@tanstack/react-query";

import { apiSend } from "../../lib/api-client";
import type { Book } from "../catalog/types";

export interface BookInput {
  title: string;
  author: string;
  isbn13: string;
  genre: string;
  year: number;
  price: string;
  description: string;
}

/** Creates (no id) or replaces (id) a book, then sets its stock in inventory when a number is given. */
export function useSaveBook(bookId?: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ book, stock }: { book: BookInput; stock: number | null }) => {
      const saved = bookId
        ? await apiSend<Book>("PUT", `/ecom/admin/books/${bookId}`, book)
        : await apiSend<Book>("POST", "/ecom/admin/books", book);
      if (stock !== null) await apiSend("PUT", `/inven/admin/stock/${saved.id}`, { available: stock });
      return saved;
    },
    onSuccess: () => queryClient.invalidateQueries(),
  });
}

export function useDeleteBook() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (bookId: string) => apiSend<void>("DELETE", `/ecom/admin/books/${bookId}`),
    onSuccess: () => queryClient.invalidateQueries(),
  });
}
