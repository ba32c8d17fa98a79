import { Link, Navigate, useNavigate } from "react-router";

import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { ApiError, describeError } from "../../lib/api-client";
import { useAuth } from "../auth/auth-context";
import { useCart } from "../cart/use-cart";
import { usePlaceOrder } from "./use-place-order";

function explain(error: unknown): string {
  if (error instanceof ApiError && error.code === "insufficient_stock" && error.lines.length) {
    const named = error.lines.map((l) => `${l.title ?? "a book"} (only ${l.available} left)`).join(", ");
    return `Not enough stock for ${named}. Your cart was kept; change the quantity and try again.`;
  }
  if (error instanceof ApiError && error.status === 503) {
    return "The store cannot take orders right now. Your cart was kept; please try again in a moment.";
  }
  return describeError(error);
}

export function CheckoutPage() {
  const { user, login } = useAuth();
  const cart = useCart();
  const place = usePlaceOrder();
  const navigate = useNavigate();
  if (!user) {
    return (
      <main className="page" id="main">
        <h1>Checkout</h1>
        <p>Sign in to place your order.</p>
        <button type="button" onClick={() => void login("/checkout")}>
          Sign in
        </button>
      </main>
    );
  }
  // An empty cart has nothing to check out, unless it was emptied by the order just placed.
  if (cart.data && cart.data.items.length === 0 && place.isIdle) return <Navigate to="/cart" replace />;
  return (
    <main className="page" id="main">
      <h1>Checkout</h1>
      {cart.isPending && <Loading what="your cart" />}
      {cart.isError && <ErrorMessage error={cart.error} />}
      {cart.data && (
        <>
          <h2>Review your order</h2>
          <ul>
            {cart.data.items.map((line) => (
              <li key={line.book_id}>
                {line.quantity} × {line.title} — <Price value={line.line_total} />
              </li>
            ))}
          </ul>
          <p className="total">
            Total: <Price value={cart.data.total} />
          </p>
          {place.isError && <p role="alert">{explain(place.error)}</p>}
          <button
            type="button"
            disabled={place.isPending}
            onClick={() =>
              place.mutate(undefined, {
                onSuccess: (order) => navigate(`/orders/${order.order_id}?placed=1`),
              })
            }
          >
            {place.isPending ? "Placing your order…" : "Place order"}
          </button>
          <p>
            <Link to="/cart">Back to the cart</Link>
          </p>
        </>
      )}
    </main>
  );
}
