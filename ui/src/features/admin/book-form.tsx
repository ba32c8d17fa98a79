import { type FormEvent, useState } from "react";

import { describeError } from "../../lib/api-client";
import type { Book } from "../catalog/types";
import type { BookInput } from "./use-admin-book";

export function BookForm({
  initial,
  busy,
  error,
  onSave,
}: {
  initial?: Book;
  busy: boolean;
  error: unknown;
  onSave: (book: BookInput, stock: number | null) => void;
}) {
  const [stock, setStock] = useState("");
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (name: string) => String(data.get(name) ?? "").trim();
    onSave(
      {
        title: text("title"),
        author: text("author"),
        isbn13: text("isbn13"),
        genre: text("genre"),
        year: Number(text("year")),
        price: text("price"),
        description: text("description"),
      },
      stock === "" ? null : Number(stock),
    );
  };
  const field = (name: keyof BookInput, label: string, value: string | number | undefined, type = "text") => (
    <p>
      <label htmlFor={`book-${name}`}>{label}</label>
      <input id={`book-${name}`} name={name} type={type} defaultValue={value} required />
    </p>
  );
  return (
    <form onSubmit={submit} className="book-form">
      {field("title", "Title", initial?.title)}
      {field("author", "Author", initial?.author)}
      {field("isbn13", "ISBN-13", initial?.isbn13)}
      {field("genre", "Genre", initial?.genre)}
      {field("year", "Year", initial?.year, "number")}
      {field("price", "Price (EUR)", initial?.price)}
      <p>
        <label htmlFor="book-description">Description</label>
        <textarea id="book-description" name="description" defaultValue={initial?.description} required />
      </p>
      <p>
        <label htmlFor="book-stock">Copies in stock (leave empty to keep)</label>
        <input id="book-stock" type="number" min={0} value={stock} onChange={(e) => setStock(e.target.value)} />
      </p>
      {error ? <p role="alert">{describeError(error)}</p> : null}
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Save book"}
      </button>
    </form>
  );
}
