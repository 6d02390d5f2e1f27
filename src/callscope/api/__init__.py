"""HTTP plumbing shared by every domain's endpoints: problem details, pagination, dependencies."""
