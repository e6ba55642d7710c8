//! The contract suite lives in `tests/`: every case runs against SQLite and against DynamoDB on moto.
