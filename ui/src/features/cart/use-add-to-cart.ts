import { apiSend } from "../../lib/api-client";
import { type Cart, useCartMutation } from "./use-cart";

export function useAddToCart() {
  return useCartMutation((vars: { bookId: string; quantity: number }) =>
    apiSend<Cart>("POST", "/ecom/cart", { book_id: vars.bookId, quantity: vars.quantity }),
  );
}
