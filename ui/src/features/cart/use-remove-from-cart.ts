import { apiSend } from "../../lib/api-client";
import { type Cart, useCartMutation } from "./use-cart";

export function useRemoveFromCart() {
  return useCartMutation((vars: { bookId: string }) => apiSend<Cart>("DELETE", `/ecom/cart/items/${vars.bookId}`));
}
