import { apiSend } from "../../lib/api-client";
import { type Cart, useCartMutation } from "./use-cart";

export function useSetQuantity() {
  return useCartMutation((vars: { bookId: string; quantity: number }) =>
    apiSend<Cart>("PATCH", `/ecom/cart/items/${vars.bookId}`, { quantity: vars.quantity }),
  );
}
