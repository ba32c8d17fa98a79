import { useSearchParams } from "react-router";

import { Pager } from "../../components/pager";
import { Price } from "../../components/price";
import { ErrorMessage, Loading } from "../../components/status";
import { AdminGuard } from "./admin-guard";
import { useAdminOrders } from "./use-admin-orders";

function OrdersTable() {
  const [params, setParams] = useSearchParams();
  const status = params.get("status") ?? "";
  const page = Math.max(1, Number(params.get("page")) || 1);
  const orders = useAdminOrders(status, page);
  return (
    <>
      <label htmlFor="status-filter">Status</label>
      <select id="status-filter" value={status} onChange={(e) => setParams(e.target.value ? { status: e.target.value } : {})}>
        <option value="">All</option>
        <option value="CONFIRMED">Confirmed</option>
        <option value="CANCELLED">Cancelled</option>
      </select>
      {orders.isPending && <Loading what="orders" />}
      {orders.isError && <ErrorMessage error={orders.error} />}
      {orders.data && (
        <>
          <table>
            <caption>{orders.data.total} orders</caption>
            <thead>
              <tr>
                <th scope="col">Order</th>
                <th scope="col">Customer</th>
                <th scope="col">Placed</th>
                <th scope="col">Status</th>
                <th scope="col">Total</th>
              </tr>
            </thead>
            <tbody>
              {orders.data.items.map((order) => (
                <tr key={order.order_id}>
                  <td>{order.order_id.slice(0, 8)}</td>
                  <td>{order.username ?? order.user_id}</td>
                  <td>{new Date(order.created_at).toLocaleString()}</td>
                  <td>{order.status}</td>
                  <td>
                    <Price value={order.total} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pager
            page={page}
            size={20}
            total={orders.data.total}
            onPage={(p) => setParams({ ...(status ? { status } : {}), page: String(p) })}
          />
        </>
      )}
    </>
  );
}

export function AdminOrdersPage() {
  return (
    <AdminGuard>
      <main className="page" id="main">
        <h1>All orders</h1>
        <OrdersTable />
      </main>
    </AdminGuard>
  );
}
