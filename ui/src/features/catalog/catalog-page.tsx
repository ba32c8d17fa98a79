import { useSearchParams } from "react-router";

import { Pager } from "../../components/pager";
import { ErrorMessage, Loading } from "../../components/status";
import { BookGrid } from "./book-grid";
import { PAGE_SIZE, useBooks } from "./use-books";
import { useGenres } from "./use-genres";

export function CatalogPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const genre = params.get("genre") ?? "";
  const books = useBooks(page, genre);
  const genres = useGenres();

  const update = (next: { page?: number; genre?: string }) => {
    const values = new URLSearchParams(params);
    if (next.genre !== undefined) {
      if (next.genre) values.set("genre", next.genre);
      else values.delete("genre");
      values.delete("page");
    }
    if (next.page !== undefined) values.set("page", String(next.page));
    setParams(values);
  };

  return (
    <main className="page" id="main">
      <h1>Catalog</h1>
      <label htmlFor="genre-filter">Genre</label>
      <select id="genre-filter" value={genre} onChange={(e) => update({ genre: e.target.value })}>
        <option value="">All genres</option>
        {genres.data?.map((g) => (
          <option key={g.genre} value={g.genre}>
            {g.genre} ({g.count})
          </option>
        ))}
      </select>
      {books.isPending && <Loading what="books" />}
      {books.isError && <ErrorMessage error={books.error} />}
      {books.data && (
        <>
          <p role="status">{books.data.total} books</p>
          <BookGrid books={books.data.items} />
          <Pager page={page} size={PAGE_SIZE} total={books.data.total} onPage={(p) => update({ page: p })} />
        </>
      )}
    </main>
  );
}
