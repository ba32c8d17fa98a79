import { Link } from "react-router";

import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { describeError } from "../../lib/api-client";
import { useAuth } from "../auth/auth-context";
import { type CartLine, useCart } from "./use-cart";
import { useRemoveFromCart } from "./use-remove-from-cart";
import { useSetQuantity } from "./use-set-quantity";

function Line({ line }: { line: CartLine }) {
  const setQuantity = useSetQuantity();
  const remove = useRemoveFromCart();
  const error = setQuantity.error ?? remove.error;
  return (
    <li className="cart-line">
      <img src={line.cover_url} alt="" width={60} height={90} />
      <div>
        <Link to={`/books/${line.book_id}`}>{line.title}</Link>
        <p className="author">{line.author}</p>
        {!line.available && <p role="alert">{line.title} is no longer sold; remove it to check out.</p>}
      </div>
      <label htmlFor={`qty-${line.book_id}`}>Quantity of {line.title}</label>
      <select
        id={`qty-${line.book_id}`}
        value={line.quantity}
        onChange={(e) => setQuantity.mutate({ bookId: line.book_id, quantity: Number(e.target.value) })}
      >
        {Array.from({ length: Math.max(10, line.quantity) }, (_, i) => i + 1).map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
      <Price value={line.line_total} />
      <button type="button" onClick={() => remove.mutate({ bookId: line.book_id })}>
        Remove {line.title}
      </button>
      {error && <p role="alert">{describeError(error)}</p>}
    </li>
  );
}

export function CartPage() {
  const cart = useCart();
  const { user, login } = useAuth();
  return (
    <main className="page" id="main">
      <h1>Your cart</h1>
      {cart.isPending && <Loading what="your cart" />}
      {cart.isError && <ErrorMessage error={cart.error} />}
      {cart.data && cart.data.items.length === 0 && (
        <p>
          Your cart is empty. <Link to="/">Browse the catalog</Link>
        </p>
      )}
      {cart.data && cart.data.items.length > 0 && (
        <>
          <ul className="cart">
            {cart.data.items.map((line) => (
              <Line key={line.book_id} line={line} />
            ))}
          </ul>
          <p className="total">
            Total ({cart.data.item_count} items): <Price value={cart.data.total} />
          </p>
          {user ? (
            <Link to="/checkout" className="button">
              Proceed to checkout
            </Link>
          ) : (
            <button type="button" onClick={() => void login("/checkout")}>
              Sign in to check out
            </button>
          )}
        </>
      )}
    </main>
  );
}
