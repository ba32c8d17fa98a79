import { useSearchParams } from "react-router";

import { Pager } from "../../components/pager";
import { ErrorMessage, Loading } from "../../components/status";
import { BookGrid } from "../catalog/book-grid";
import { SEARCH_PAGE_SIZE, useSearch } from "./use-search";

export function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = (params.get("q") ?? "").trim();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const results = useSearch(q, page);
  return (
    <main className="page" id="main">
      <h1>{q ? `Results for “${q}”` : "Search"}</h1>
      {!q && <p>Type a title, an author or a subject in the search box.</p>}
      {q && results.isPending && <Loading what="results" />}
      {results.isError && <ErrorMessage error={results.error} />}
      {results.data && results.data.total === 0 && (
        <p role="status">No books match “{q}”. Check the spelling or try fewer words.</p>
      )}
      {results.data && results.data.total > 0 && (
        <>
          <p role="status">{results.data.total} books found</p>
          <BookGrid books={results.data.items} />
          <Pager
            page={page}
            size={SEARCH_PAGE_SIZE}
            total={results.data.total}
            onPage={(p) => setParams({ q, page: String(p) })}
          />
        </>
      )}
    </main>
  );
}
