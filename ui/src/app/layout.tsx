import { type FormEvent, useState } from "react";
import { Link, NavLink, Outlet, useNavigate, useSearchParams } from "react-router";

import { useAuth } from "../features/auth/auth-context";
import { useCart } from "../features/cart/use-cart";

function SearchBox() {
  const [params] = useSearchParams();
  const [q, setQ] = useState(params.get("q") ?? "");
  const navigate = useNavigate();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const query = q.trim();
    if (query) navigate(`/search?q=${encodeURIComponent(query)}`);
  };
  return (
    <form role="search" onSubmit={submit} className="search">
      <label htmlFor="search-input">Search books</label>
      <input id="search-input" type="search" value={q} maxLength={200} onChange={(e) => setQ(e.target.value)} />
      <button type="submit">Search</button>
    </form>
  );
}

export function Layout() {
  const { user, ready, roles, login, register, logout } = useAuth();
  const cart = useCart();
  const count = cart.data?.item_count ?? 0;
  if (!ready) {
    return (
      <main className="page" aria-busy="true">
        <p>Restoring your session…</p>
      </main>
    );
  }
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="header">
        <Link to="/" className="brand">
          Bookstore
        </Link>
        <SearchBox />
        <nav aria-label="Main">
          <NavLink to="/">Catalog</NavLink>
          <NavLink to="/cart">Cart ({count})</NavLink>
          {user && <NavLink to="/orders">My orders</NavLink>}
          {roles.includes("admin") && <NavLink to="/admin">Admin</NavLink>}
          {user ? (
            <button type="button" onClick={() => void logout()}>
              Sign out {user.profile.preferred_username}
            </button>
          ) : (
            <>
              <button type="button" onClick={() => void login()}>
                Sign in
              </button>
              <button type="button" onClick={() => void register()}>
                Create account
              </button>
            </>
          )}
        </nav>
      </header>
      <Outlet />
    </>
  );
}
