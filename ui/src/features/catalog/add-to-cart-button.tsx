import { describeError } from "../../lib/api-client";
import { useAddToCart } from "../cart/use-add-to-cart";
import type { Book } from "./types";

export function AddToCartButton({ book, disabled }: { book: Book; disabled?: boolean }) {
  const add = useAddToCart();
  return (
    <div className="add-to-cart">
      <button
        type="button"
        disabled={disabled || add.isPending}
        onClick={() => add.mutate({ bookId: book.id, quantity: 1 })}
        aria-label={`Add ${book.title} to cart`}
      >
        {add.isPending ? "Adding…" : "Add to cart"}
      </button>
      {add.isSuccess && <span role="status">Added to cart</span>}
      {add.isError && <span role="alert">{describeError(add.error)}</span>}
    </div>
  );
}
