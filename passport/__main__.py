"""`python -m passport` runs the `skillpass` command line."""

from passport.cli.main import app

app(prog_name="skillpass")
