"""What gunicorn serves in benchmarks/http.py: the app of wsgi.py with the clock frozen at the
dataset's date (``benchmarks.make_dataset.NOW``), so that due dates, lights and 待办 read as they did
when the data was made."""
from benchmarks.make_dataset import NOW
from caseflow import clock, create_app

clock.freeze(NOW)
app = create_app()
