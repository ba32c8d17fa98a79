import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { apiGet } from "../../lib/api-client";
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

/** A cart change whose answer (the whole cart) replaces the cached cart. */
export function useCartMutation<V>(send: (vars: V) => Promise<Cart>) {
  const queryClient = useQueryClient();
  const { user } = useAuth();
  return useMutation({
    mutationFn: send,
    onSuccess: (cart) => queryClient.setQueryData(["cart", user?.profile.sub ?? "guest"], cart),
  });
}
