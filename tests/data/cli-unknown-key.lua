-- tests/t-cli.sh: a scenario with a misspelt key inside a nested table
-- (fs.barier): loading it must fail with exit status 2 naming the key.
return {
  trials = 10,
  runs = 2,
  duration_s = 3,
  fs = { barier = false },
  cases = { { name = "only" } },
}
