import { Link } from "react-router";

export function NotFoundPage() {
  return (
    <main className="page" id="main">
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <Link to="/">Back to the catalog</Link>
    </main>
  );
}
