"""Reports: the numbers behind the dashboard, as JSON and CSV under `/api/v1/reports`."""
