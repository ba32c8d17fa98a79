import { Link, useSearchParams } from "react-router";

import { Pager } from "../../components/pager";
import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { describeError } from "../../lib/api-client";
import { PAGE_SIZE, useBooks } from "../catalog/use-books";
import { useStock } from "../catalog/use-stock";
import { AdminGuard } from "./admin-guard";
import { useDeleteBook } from "./use-admin-book";

function BooksTable() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const books = useBooks(page, "");
  const stock = useStock(books.data?.items.map((b) => b.id) ?? []);
  const remove = useDeleteBook();
  return (
    <>
      {books.isPending && <Loading what="books" />}
      {books.isError && <ErrorMessage error={books.error} />}
      {remove.isError && <p role="alert">{describeError(remove.error)}</p>}
      {books.data && (
        <>
          <table>
            <caption>Books in the catalog</caption>
            <thead>
              <tr>
                <th scope="col">Title</th>
                <th scope="col">Price</th>
                <th scope="col">In stock</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {books.data.items.map((book) => (
                <tr key={book.id}>
                  <td>{book.title}</td>
                  <td>
                    <Price value={book.price} />
                  </td>
                  <td>{stock.data?.get(book.id) ?? "—"}</td>
                  <td>
                    <Link to={`/admin/books/${book.id}`}>Edit {book.title}</Link>{" "}
                    <button type="button" onClick={() => remove.mutate(book.id)}>
                      Delete {book.title}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} size={PAGE_SIZE} total={books.data.total} onPage={(p) => setParams({ page: String(p) })} />
        </>
      )}
    </>
  );
}

export function AdminBooksPage() {
  return (
    <AdminGuard>
      <main className="page" id="main">
        <h1>Manage books</h1>
        <p>
          <Link to="/admin/books/new">Add a book</Link> · <Link to="/admin/orders">All orders</Link>
        </p>
        <BooksTable />
      </main>
    </AdminGuard>
  );
}
