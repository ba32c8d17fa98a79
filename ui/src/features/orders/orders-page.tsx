import { Link, useSearchParams } from "react-router";

import { Pager } from "../../components/pager";
import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { useAuth } from "../auth/auth-context";
import { useOrders } from "./use-orders";

export function OrdersPage() {
  const { user, login } = useAuth();
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get("page")) || 1);
  const orders = useOrders(page);
  if (!user) {
    return (
      <main className="page" id="main">
        <h1>My orders</h1>
        <button type="button" onClick={() => void login("/orders")}>
          Sign in to see your orders
        </button>
      </main>
    );
  }
  return (
    <main className="page" id="main">
      <h1>My orders</h1>
      {orders.isPending && <Loading what="your orders" />}
      {orders.isError && <ErrorMessage error={orders.error} />}
      {orders.data && orders.data.total === 0 && <p>You have not ordered anything yet.</p>}
      {orders.data && orders.data.total > 0 && (
        <>
          <table>
            <caption>Your orders, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Placed</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((order) => (
                <tr key={order.order_id}>
                  <td>
                    <Link to={`/orders/${order.order_id}`}>{order.order_id.slice(0, 8)}</Link>
                  </td>
                  <td>{new Date(order.created_at).toLocaleString()}</td>
                  <td>{order.status}</td>
                  <td>
                    <Price value={order.total} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager page={page} size={20} total={orders.data.total} onPage={(p) => setParams({ page: String(p) })} />
        </>
      )}
    </main>
  );
}
