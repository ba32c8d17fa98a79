import { type FormEvent, useState } from "react";
import { useNavigate, useParams } from "react-router";

import { ErrorMessage, Loading } from "../../components/status";
import { describeError } from "../../lib/api-client";
import { useBook } from "../catalog/use-book";
import { useStock } from "../catalog/use-stock";
import { AdminGuard } from "./admin-guard";
import { BookForm } from "./book-form";
import { useAdjustStock } from "./use-adjust-stock";
import { useSaveBook } from "./use-admin-book";

function AdjustStock({ bookId }: { bookId: string }) {
  const adjust = useAdjustStock(bookId);
  const [delta, setDelta] = useState("");
  const [reason, setReason] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    adjust.mutate({ delta: Number(delta), reason: reason.trim() });
  };
  return (
    <form onSubmit={submit}>
      <h2>Adjust stock</h2>
      <label htmlFor="adjust-delta">Change in copies (negative to remove)</label>
      <input id="adjust-delta" type="number" required value={delta} onChange={(e) => setDelta(e.target.value)} />
      <label htmlFor="adjust-reason">Reason</label>
      <input id="adjust-reason" required maxLength={200} value={reason} onChange={(e) => setReason(e.target.value)} />
      <button type="submit">Adjust stock</button>
      {adjust.isSuccess && <p role="status">Stock adjusted.</p>}
      {adjust.isError && <p role="alert">{describeError(adjust.error)}</p>}
    </form>
  );
}

export function AdminBookNewPage() {
  const save = useSaveBook();
  const navigate = useNavigate();
  return (
    <AdminGuard>
      <main className="page" id="main">
        <h1>Add a book</h1>
        <BookForm
          busy={save.isPending}
          error={save.error}
          onSave={(book, stock) =>
            save.mutate({ book, stock }, { onSuccess: (saved) => navigate(`/admin/books/${saved.id}?saved=1`) })
          }
        />
      </main>
    </AdminGuard>
  );
}

export function AdminBookEditPage() {
  const { bookId = "" } = useParams();
  const book = useBook(bookId);
  const stock = useStock(book.data ? [book.data.id] : []);
  const save = useSaveBook(bookId);
  return (
    <AdminGuard>
      <main className="page" id="main">
        <h1>Edit book</h1>
        {book.isPending && <Loading what="the book" />}
        {book.isError && <ErrorMessage error={book.error} />}
        {book.data && (
          <>
            <p role="status">
              {book.data.title}: {stock.data?.get(book.data.id) ?? 0} copies in stock
            </p>
            <BookForm initial={book.data} busy={save.isPending} error={save.error} onSave={(b, s) => save.mutate({ book: b, stock: s })} />
            {save.isSuccess && <p role="status">Saved.</p>}
            <AdjustStock bookId={book.data.id} />
          </>
        )}
      </main>
    </AdminGuard>
  );
}
