import { BookCard } from "./book-card";
import type { Book } from "./types";
import { useStock } from "./use-stock";

export function BookGrid({ books }: { books: Book[] }) {
  const stock = useStock(books.map((b) => b.id));
  return (
    <div className="grid">
      {books.map((book) => (
        <BookCard key={book.id} book={book} available={stock.data?.get(book.id)} />
      ))}
    </div>
  );
}
