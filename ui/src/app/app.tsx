import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { BrowserRouter, Route, Routes } from "react-router";

import { ApiError } from "../lib/api-client";
import { AdminBookEditPage, AdminBookNewPage } from "../features/admin/admin-book-edit-page";
import { AdminBooksPage } from "../features/admin/admin-books-page";
import { AdminOrdersPage } from "../features/admin/admin-orders-page";
import { AuthProvider } from "../features/auth/auth-context";
import { CallbackPage } from "../features/auth/callback-page";
import { BookPage } from "../features/catalog/book-page";
import { CatalogPage } from "../features/catalog/catalog-page";
import { CartPage } from "../features/cart/cart-page";
import { CheckoutPage } from "../features/checkout/checkout-page";
import { OrderPage } from "../features/orders/order-page";
import { OrdersPage } from "../features/orders/orders-page";
import { SearchPage } from "../features/search/search-page";
import { ErrorBoundary } from "./error-boundary";
import { Layout } from "./layout";
import { NotFoundPage } from "./not-found-page";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      // 4xx answers are final; retry only what may be transient.
      retry: (failures, error) => failures < 2 && !(error instanceof ApiError && error.status < 500),
    },
  },
});

export function App() {
  return (
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <ErrorBoundary>
            <Routes>
              <Route path="/callback" element={<CallbackPage />} />
              <Route element={<Layout />}>
                <Route index element={<CatalogPage />} />
                <Route path="books/:bookId" element={<BookPage />} />
                <Route path="search" element={<SearchPage />} />
                <Route path="cart" element={<CartPage />} />
                <Route path="checkout" element={<CheckoutPage />} />
                <Route path="orders" element={<OrdersPage />} />
                <Route path="orders/:orderId" element={<OrderPage />} />
                <Route path="admin" element={<AdminBooksPage />} />
                <Route path="admin/books/new" element={<AdminBookNewPage />} />
                <Route path="admin/books/:bookId" element={<AdminBookEditPage />} />
                <Route path="admin/orders" element={<AdminOrdersPage />} />
                <Route path="*" element={<NotFoundPage />} />
              </Route>
            </Routes>
          </ErrorBoundary>
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  );
}
