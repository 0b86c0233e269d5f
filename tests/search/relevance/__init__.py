"""The judged relevance collection for resident search (see collection.py and run.py)."""
