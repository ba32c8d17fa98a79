import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiGet, apiSend } from "../../lib/api-client";
import { useAuth } from "../auth/auth-context";

export interface CartLine {
  book_id: string;
  title: string;
  author: string;
  unit_price: string;
  quantity: number;
  line_total: string;
  cover_url: string;
  available: boolean;
}

export interface Cart {
  items: CartLine[];
  total: string;
  item_count: number;
  guest: boolean;
}

export function useCart() {
  const { user } = useAuth();
  return useQuery({ queryKey: ["cart", user?.profile.sub ?? "guest"], queryFn: () => apiGet<Cart>("/ecom/cart") });
}

function useCartMutation<V>(send: (vars: V) => Promise<Cart>) {
  const queryClient = useQueryClient();
  const { user } = useAuth();
  return useMutation({
    mutationFn: send,
    onSuccess: (cart) => queryClient.setQueryData(["cart", user?.profile.sub ?? "guest"], cart),
  });
}

export function useAddToCart() {
  return useCartMutation((vars: { bookId: string; quantity: number }) =>
    apiSend<Cart>("POST", "/ecom/cart", { book_id: vars.bookId, quantity: vars.quantity }),
  );
}

export function useSetQuantity() {
  return useCartMutation((vars: { bookId: string; quantity: number }) =>
    apiSend<Cart>("PATCH", `/ecom/cart/items/${vars.bookId}`, { quantity: vars.quantity }),
  );
}

export function useRemoveFromCart() {
  return useCartMutation((vars: { bookId: string }) => apiSend<Cart>("DELETE", `/ecom/cart/items/${vars.bookId}`));
}
