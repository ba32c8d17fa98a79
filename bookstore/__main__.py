from bookstore.cli import app

app()
