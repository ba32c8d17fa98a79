import { useParams, useSearchParams } from "react-router";

import { NotFoundPage } from "../../app/not-found-page";
import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { ApiError, describeError } from "../../lib/api-client";
import { useAuth } from "../auth/auth-context";
import { useCancelOrder } from "./use-cancel-order";
import { useOrder } from "./use-order";

export function OrderPage() {
  const { orderId = "" } = useParams();
  const [params] = useSearchParams();
  const { user, login } = useAuth();
  const order = useOrder(orderId);
  const cancel = useCancelOrder(orderId);
  if (!user) {
    return (
      <main className="page" id="main">
        <h1>Order</h1>
        <button type="button" onClick={() => void login()}>
          Sign in to see this order
        </button>
      </main>
    );
  }
  if (order.error instanceof ApiError && (order.error.status === 404 || order.error.status === 422)) {
    return <NotFoundPage />;
  }
  return (
    <main className="page" id="main">
      {params.get("placed") && <h1>Thank you for your order</h1>}
      {!params.get("placed") && <h1>Order details</h1>}
      {order.isPending && <Loading what="the order" />}
      {order.isError && <ErrorMessage error={order.error} />}
      {order.data && (
        <>
          <p>
            Order number: <strong data-testid="order-id">{order.data.order_id}</strong>
          </p>
          <p>
            Status: <strong>{order.data.status}</strong>
          </p>
          <ul>
            {order.data.items.map((item) => (
              <li key={item.book_id}>
                {item.quantity} × {item.title} at <Price value={item.unit_price} />
              </li>
            ))}
          </ul>
          <p className="total">
            Total: <Price value={order.data.total} />
          </p>
          {order.data.status === "CONFIRMED" && (
            <button type="button" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
              {cancel.isPending ? "Cancelling…" : "Cancel order"}
            </button>
          )}
          {cancel.isSuccess && <p role="status">The order was cancelled and its books went back on sale.</p>}
          {cancel.isError && <p role="alert">{describeError(cancel.error)}</p>}
        </>
      )}
    </main>
  );
}
