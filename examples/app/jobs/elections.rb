# Nightly job: upcoming elections and their candidates (pg gem: exec_params with $n).
class UpcomingElections
  QUERY = <<~SQL
    SELECT e.id, e.name, e.election_date, c.name AS candidate, c.party
    FROM elections e JOIN candidates c ON c.election_id = e.id
    WHERE e.election_date >= current_date
    ORDER BY e.election_date
  SQL

  def run(conn, jurisdiction)
    conn.exec_params(QUERY)
    conn.exec_params("SELECT count(*) FROM candidates WHERE election_id IN (SELECT id FROM elections WHERE jurisdiction = #{conn.escape_literal(jurisdiction)})")
    puts 'select done'
  end
end
