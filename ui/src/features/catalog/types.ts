export interface Book {
  id: string;
  title: string;
  author: string;
  isbn13: string;
  genre: string;
  year: number;
  price: string;
  description: string;
  cover_url: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  size: number;
}

export interface Stock {
  book_id: string;
  available: number;
}
