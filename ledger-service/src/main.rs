mod ledger;
fn main() {}
