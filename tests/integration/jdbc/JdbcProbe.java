import java.sql.*;
import java.util.Properties;

/**
 * What DBeaver does on connecting, through the official ClickHouse JDBC driver with its default
 * settings: server version, the table tree, a table's columns, a typed query, a prepared statement
 * and, for a read-only user, a refused write. Prints one key=value line per step for the test.
 */
public class JdbcProbe {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", args[1]);
        props.setProperty("password", args[2]);
        try (Connection conn = DriverManager.getConnection(args[0], props)) {
            DatabaseMetaData meta = conn.getMetaData();
            System.out.println("server=" + meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion());
            int tables = 0;
            try (ResultSet rs = meta.getTables(null, "ioc", "%", null)) {
                while (rs.next()) tables++;
            }
            System.out.println("tables=" + tables);
            StringBuilder columns = new StringBuilder();
            try (ResultSet rs = meta.getColumns(null, "ioc", "indicators", "%")) {
                while (rs.next()) columns.append(columns.length() == 0 ? "" : ",").append(rs.getString("COLUMN_NAME"));
            }
            System.out.println("indicator_columns=" + columns);
            try (Statement st = conn.createStatement();
                 ResultSet rs = st.executeQuery(
                     "SELECT toDateTime64('2026-01-01 00:00:00', 3, 'UTC') AS t, "
                     + "toTimeZone(t, 'Asia/Ho_Chi_Minh') AS local, 42 AS n, 'Đồng Nai' AS s")) {
                rs.next();
                System.out.println("row=" + rs.getTimestamp(1).toInstant() + "|" + rs.getString(2) + "|"
                    + rs.getInt(3) + "|" + rs.getString(4));
            }
            try (PreparedStatement ps = conn.prepareStatement(
                     "SELECT count() FROM dim_cameras_current WHERE intersection_id = ?")) {
                ps.setString(1, args[3]);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    System.out.println("prepared=" + rs.getLong(1));
                }
            }
            try (Statement st = conn.createStatement()) {
                st.execute("CREATE TABLE jdbc_probe (x UInt8) ENGINE = Memory");
                System.out.println("write=allowed");
            } catch (SQLException e) {
                System.out.println("write=refused " + e.getMessage().split("\n")[0]);
            }
        } catch (SQLException e) {
            Throwable root = e;
            while (root.getCause() != null) root = root.getCause();
            System.out.println("connect=refused " + String.valueOf(root.getMessage()).split("\n")[0]);
        }
    }
}
