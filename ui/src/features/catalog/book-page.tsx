import { useParams } from "react-router";

import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { StockBadge } from "../../components/stock-badge";
import { NotFoundPage } from "../../app/not-found-page";
import { ApiError } from "../../lib/api-client";
import { AddToCartButton } from "./add-to-cart-button";
import { useBook } from "./use-book";
import { useStock } from "./use-stock";

export function BookPage() {
  const { bookId = "" } = useParams();
  const book = useBook(bookId);
  const stock = useStock(book.data ? [book.data.id] : []);
  if (book.error instanceof ApiError && (book.error.status === 404 || book.error.status === 422)) {
    return <NotFoundPage />;
  }
  return (
    <main className="page" id="main">
      {book.isPending && <Loading what="the book" />}
      {book.isError && <ErrorMessage error={book.error} />}
      {book.data && (
        <article className="book-detail">
          <img src={book.data.cover_url} alt={`Cover of ${book.data.title}`} width={300} height={450} />
          <div>
            <h1>{book.data.title}</h1>
            <p className="author">by {book.data.author}</p>
            <p>
              <Price value={book.data.price} /> <StockBadge available={stock.data?.get(book.data.id)} />
            </p>
            <p>{book.data.description}</p>
            <dl>
              <dt>Genre</dt>
              <dd>{book.data.genre}</dd>
              <dt>Published</dt>
              <dd>{book.data.year}</dd>
              <dt>ISBN</dt>
              <dd>{book.data.isbn13}</dd>
            </dl>
            <AddToCartButton book={book.data} disabled={stock.data?.get(book.data.id) === 0} />
          </div>
        </article>
      )}
    </main>
  );
}
