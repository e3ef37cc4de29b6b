function gridswap_runopf(casefile, outfile, runs, opts)
%GRIDSWAP_RUNOPF  Solves a redispatch GridSwap exported (npm run period -- --export-opf) with
%   MATPOWER's runopf and writes what it found as JSON (tools/opf-reference.ts reads it).
%   GRIDSWAP_RUNOPF(CASEFILE, OUTFILE, RUNS, OPTS): CASEFILE the exported <name>.m (its
%   constraint functions beside it), RUNS solves (timed one by one: runopf only, not Octave's
%   start-up or loadcase), OPTS the mpoption name/value pairs as a cell.
%   JSON: matpower (version), success, iterations, objective (USD/h), pg (MW per gen row),
%   schedule (PG of the file, MW), bus (numbers), lam_p (USD/MWh per bus), mu (USD/MWh per
%   mean-flow constraint: the from -> to sides of the limited lines, then their to -> from
%   sides), seconds (per run).
  [folder, name] = fileparts(casefile);
  addpath(folder);
  define_constants;
  mpc = loadcase(name);
  mpopt = mpoption(opts{:}, 'verbose', 0, 'out.all', 0);
  seconds = zeros(1, runs);
  for k = 1:runs
    t = tic;
    r = runopf(mpc, mpopt);
    seconds(k) = toc(t);
  end
  v = mpver('all');
  out.matpower = v.Version;
  out.success = r.success;
  out.iterations = r.raw.output.iterations;
  out.objective = r.f;
  out.pg = r.gen(:, PG)';
  out.schedule = mpc.gen(:, PG)';
  out.bus = r.bus(:, BUS_I)';
  out.lam_p = r.bus(:, LAM_P)';
  if isfield(r, 'nli') && isfield(r.nli.mu, 'gs_mean_flow')
    out.mu = r.nli.mu.gs_mean_flow';
  else
    out.mu = [];
  end
  out.seconds = seconds;
  fid = fopen(outfile, 'w');
  fprintf(fid, '%s\n', jsonencode(out));
  fclose(fid);
end
