import { Link } from "react-router";

import { Price } from "../../components/price";
import { StockBadge } from "../../components/stock-badge";
import { AddToCartButton } from "./add-to-cart-button";
import type { Book } from "./types";

export function BookCard({ book, available }: { book: Book; available: number | undefined }) {
  return (
    <article className="book-card" aria-labelledby={`title-${book.id}`}>
      <img src={book.cover_url} alt="" width={150} height={225} />
      <h2 id={`title-${book.id}`}>
        <Link to={`/books/${book.id}`}>{book.title}</Link>
      </h2>
      <p className="author">{book.author}</p>
      <p>
        <Price value={book.price} /> <StockBadge available={available} />
      </p>
      <AddToCartButton book={book} disabled={available === 0} />
    </article>
  );
}
